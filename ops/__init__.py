"""Orchestration for the user workflow: synth, deploy, plan, destroy, operate.

The make targets are thin wrappers over ``python -m ops.<command>``; the logic lives here
where it can be tested.
"""
