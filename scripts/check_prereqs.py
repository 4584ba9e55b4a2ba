"""Check that the tools a make target needs are installed, and say which one is not.

Usage: python3 scripts/check_prereqs.py python node terraform
Runs under any Python 3 so it can report an old interpreter instead of crashing.
"""

import re
import shutil
import subprocess
import sys

MINIMUM = {"python": (3, 11), "node": (18, 0), "terraform": (1, 5)}
HINT = {
    "python": "install Python 3.11 or newer (python3)",
    "node": "install Node.js 18 or newer (node + npm)",
    "terraform": "install Terraform 1.5 or newer (https://developer.hashicorp.com/terraform/install)",
}


def version_of(tool):
    if tool == "python":
        return sys.version_info[:2]
    exe = shutil.which(tool)
    if exe is None:
        return None
    flag = "--version" if tool == "node" else "version"
    out = subprocess.run([exe, flag], capture_output=True, text=True, check=False).stdout
    match = re.search(r"v?(\d+)\.(\d+)", out)
    return (int(match.group(1)), int(match.group(2))) if match else None


def main(tools):
    problems = []
    for tool in tools:
        have = version_of(tool)
        need = MINIMUM[tool]
        if have is None:
            problems.append("%s is not installed: %s" % (tool, HINT[tool]))
        elif tuple(have) < need:
            problems.append(
                "%s %d.%d is too old (need >= %d.%d): %s" % (tool, have[0], have[1], need[0], need[1], HINT[tool])
            )
    for problem in problems:
        sys.stderr.write("error: prerequisite missing: %s\n" % problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(MINIMUM)))
