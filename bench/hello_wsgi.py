"""The baseline of bench/app_bench.py: a bare Flask hello-world, nothing else."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
