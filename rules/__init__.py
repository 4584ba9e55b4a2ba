"""AWS facts and the project's own rules, in one pure place: no cdktf, no provider, no I/O.

Example::

    from rules.tags import tag_problems
    tag_problems({"aws:team": "x"})   # ["tag key 'aws:team' starts with 'aws:' ..."]

Imported by the config model (``envconfig/``), the constructs (``modules/``), the stacks and
the operating commands (``ops/``), so a rule is written once and every layer reports it the same
way. Each limit names its source; ``tests/test_rules.py`` checks the ones the AWS API models
carry against botocore's models.
"""
