"""ops.provider_mirror: where Terraform gets the pinned provider on a machine without the registry."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ops import provider_mirror as pm

VERSION = pm.PROVIDER_VERSION
TARGET = pm.target_platform()


def fake_mirror(root: Path, *, version: str = VERSION, target: str = TARGET, packed: bool = False) -> Path:
    """A filesystem mirror holding a stand-in provider executable (Terraform does not run it at init)."""
    base = root / "registry.terraform.io" / "hashicorp" / "aws"
    if packed:
        base.mkdir(parents=True)
        (base / ("terraform-provider-aws_%s_%s.zip" % (version, target))).write_bytes(b"PK\x05\x06" + b"\0" * 18)
    else:
        directory = base / version / target
        directory.mkdir(parents=True)
        binary = directory / ("terraform-provider-aws_v%s_x5" % version)
        binary.write_text("#!/bin/sh\nexit 1\n")
        binary.chmod(0o755)
    return root


@pytest.fixture
def home(tmp_path: Path) -> Path:
    directory = tmp_path / "home"
    directory.mkdir()
    return directory


def resolve(home: Path, tmp_path: Path, roots: list[Path], **environ: str) -> pm.Resolution:
    return pm.resolve(
        {"HOME": str(home), **environ}, home=home, cwd=tmp_path, roots=roots, generated=tmp_path / "gen" / "cli.tfrc"
    )


def test_a_mirror_in_a_common_location_gets_a_generated_cli_config(tmp_path: Path, home: Path) -> None:
    mirror = fake_mirror(tmp_path / "opt" / "tf-plugins")
    # The machine's own setting names a file that does not exist: that is not a user config.
    found = resolve(home, tmp_path, [tmp_path / "opt"], TF_CLI_CONFIG_FILE=str(home / ".terraformrc"))
    assert found.source == "mirror"
    assert found.mirror == mirror
    generated = tmp_path / "gen" / "cli.tfrc"
    assert found.env == {"TF_CLI_CONFIG_FILE": str(generated)}
    text = generated.read_text()
    assert 'path    = "%s"' % mirror in text
    assert text.count('"registry.terraform.io/hashicorp/aws"') == 2  # include in the mirror, exclude from direct
    assert found.message.startswith("terraform provider: hashicorp/aws %s from the local mirror %s" % (VERSION, mirror))


def test_the_packed_layout_counts_too(tmp_path: Path, home: Path) -> None:
    mirror = fake_mirror(tmp_path / "srv" / "mirror", packed=True)
    assert resolve(home, tmp_path, [tmp_path / "srv"]).mirror == mirror


@pytest.mark.parametrize(
    ("version", "target"), [("5.99.0", TARGET), (VERSION, "plan9_amd64")], ids=["other-version", "other-platform"]
)
def test_only_the_pinned_version_for_this_platform_counts(tmp_path: Path, home: Path, version: str, target: str) -> None:
    fake_mirror(tmp_path / "opt" / "m", version=version, target=target)
    found = resolve(home, tmp_path, [tmp_path / "opt"])
    assert found.source == "registry"
    assert found.env == {}
    assert "from the Terraform registry (no local mirror found)" in found.message


def test_the_search_is_bounded_in_depth(tmp_path: Path, home: Path) -> None:
    fake_mirror(tmp_path / "opt" / "a" / "b" / "c")  # three levels below the root
    assert resolve(home, tmp_path, [tmp_path / "opt"]).source == "registry"
    fake_mirror(tmp_path / "opt" / "a" / "b2")  # two levels below the root
    assert resolve(home, tmp_path, [tmp_path / "opt"]).mirror == tmp_path / "opt" / "a" / "b2"


def test_an_existing_tf_cli_config_file_wins(tmp_path: Path, home: Path) -> None:
    fake_mirror(tmp_path / "opt" / "m")
    own = tmp_path / "mine.tfrc"
    own.write_text("# the user's own\n")
    found = resolve(home, tmp_path, [tmp_path / "opt"], TF_CLI_CONFIG_FILE=str(own))
    assert (found.source, found.env, found.mirror) == ("user-config", {}, None)
    assert str(own) in found.message
    assert not (tmp_path / "gen" / "cli.tfrc").exists()


def test_a_terraformrc_in_home_wins(tmp_path: Path, home: Path) -> None:
    fake_mirror(tmp_path / "opt" / "m")
    (home / ".terraformrc").write_text("plugin_cache_dir = \"/x\"\n")
    found = resolve(home, tmp_path, [tmp_path / "opt"])
    assert (found.source, found.env) == ("user-config", {})


def test_an_implied_mirror_needs_no_config_and_is_preferred(tmp_path: Path, home: Path) -> None:
    implied = fake_mirror(home / ".terraform.d" / "plugins")
    fake_mirror(tmp_path / "opt" / "m")
    found = resolve(home, tmp_path, [tmp_path / "opt"])
    assert (found.source, found.mirror, found.env) == ("implied-mirror", implied, {})
    assert "Terraform's implied mirror %s" % implied in found.message


def test_xdg_data_dirs_are_implied_directories(tmp_path: Path, home: Path) -> None:
    shared = tmp_path / "share"
    fake_mirror(shared / "terraform" / "plugins")
    found = resolve(home, tmp_path, [], XDG_DATA_DIRS=str(shared))
    assert found.source == "implied-mirror"


def test_a_stale_pointer_to_the_generated_config_is_dropped(tmp_path: Path) -> None:
    generated = tmp_path / "gen.tfrc"
    generated.write_text(pm.cli_config(tmp_path / "gone"))
    base = {"HOME": str(tmp_path), "TF_CLI_CONFIG_FILE": str(generated)}
    env, found = pm.terraform_env(base, roots=[], generated=generated)
    assert found.source == "registry"
    assert "TF_CLI_CONFIG_FILE" not in env


def test_the_generated_config_makes_terraform_install_from_the_mirror(tmp_path: Path, home: Path) -> None:
    """Real terraform, offline: the provider comes from the mirror the config names, not the registry."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed")
    fake_mirror(tmp_path / "opt" / "tf-plugins")
    found = resolve(home, tmp_path, [tmp_path / "opt"])
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf.json").write_text(
        '{"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "%s"}}}}' % VERSION
    )
    env: dict[str, Any] = {**os.environ, "HOME": str(home), "CHECKPOINT_DISABLE": "1", **found.env}
    init = subprocess.run([terraform, "init", "-backend=false", "-input=false", "-no-color"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    assert "Installed hashicorp/aws v%s (unauthenticated)" % VERSION in init.stdout
    assert "problems with the CLI configuration" not in init.stdout + init.stderr


def test_the_pin_is_the_version_the_stacks_require(synth_all: dict[str, dict[str, Any]]) -> None:
    for name, stack in synth_all.items():
        required = stack["terraform"]["required_providers"]["aws"]
        assert required["version"] == VERSION, name
