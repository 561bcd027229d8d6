from pathlib import Path

import pytest

from common.config import SETTINGS, Context, load_config, read_token
from common.errors import ConfigError


def test_defaults_put_everything_under_home(tmp_path):
    config = load_config({"AWE_HOME": str(tmp_path)})
    assert config.home == tmp_path
    assert config.database == f"sqlite:///{tmp_path / 'awe.sqlite'}"
    assert config.store_root == tmp_path / "store"
    assert config.dataservers == () and config.dpu == ()
    assert (config.privileges, config.site, config.target) == (1, 0, "muse.datamodel")
    assert config.sources["home"] == "AWE_HOME"
    assert all(source == "default" for key, _, source in config.describe() if key != "home")


def test_file_overrides_defaults_and_environment_overrides_file(tmp_path):
    (tmp_path / "awe.toml").write_text(
        '# site configuration\nproject = "GTO"\nprivileges = 2\n'
        'dataservers = ["http://a:8000", "https://b"]\n')
    config = load_config({"AWE_HOME": str(tmp_path), "AWE_PRIVILEGES": "3"})
    assert config.project == "GTO"
    assert config.sources["project"] == f"{tmp_path / 'awe.toml'}:2"
    assert config.privileges == 3 and config.sources["privileges"] == "AWE_PRIVILEGES"
    assert config.dataservers == ("http://a:8000", "https://b")


def test_awe_config_names_another_file(tmp_path):
    other = tmp_path / "elsewhere.toml"
    other.write_text('user = "wjvriend"\n')
    config = load_config({"AWE_HOME": str(tmp_path), "AWE_CONFIG": str(other)})
    assert config.user == "wjvriend" and config.sources["user"] == f"{other}:1"
    with pytest.raises(ConfigError, match="AWE_CONFIG names .*missing.toml, which is not a file"):
        load_config({"AWE_HOME": str(tmp_path), "AWE_CONFIG": str(tmp_path / "missing.toml")})


def test_comma_lists_from_the_environment():
    config = load_config({"AWE_HOME": "/nonexistent",
                          "AWE_DPU": "PYRO:dpu@h1:9090, PYRO:dpu@h2:9090",
                          "AWE_DATASERVERS": "http://ds1:8000,,http://ds2:8000"})
    assert config.dpu == ("PYRO:dpu@h1:9090", "PYRO:dpu@h2:9090")
    assert config.dataservers == ("http://ds1:8000", "http://ds2:8000")


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("AWE_PRIVILEGES", "6", "privileges (AWE_PRIVILEGES): expected an integer from 1 to 5"),
    ("AWE_PRIVILEGES", "two", "expected an integer from 1 to 5, found 'two'"),
    ("AWE_SITE", "40000", "site (AWE_SITE): expected an integer from 0 to 32767"),
    ("AWE_DATABASE", "mysql://x", "database (AWE_DATABASE): expected a database URL"),
    ("AWE_DATASERVERS", "ftp://x", "'ftp://x' does not start with http:// or https://"),
    ("AWE_DPU", "localhost:9090", "expected a list of Pyro URIs"),
    ("AWE_USER", "no spaces", "user (AWE_USER): expected a name"),
    ("AWE_TARGET", "muse/datamodel", "expected a dotted Python package name"),
    ("AWE_ROLE_PREFIX", "Test-", "expected at most 30 lower-case letters"),
    ("AWE_WORKERS", "0", "workers (AWE_WORKERS): expected an integer from 1 to 4096"),
])
def test_bad_environment_value_names_key_variable_and_expectation(variable, value, expected):
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_config({"AWE_HOME": "/nonexistent", variable: value})


def test_bad_file_value_names_file_and_line(tmp_path):
    path = tmp_path / "awe.toml"
    path.write_text('project = "GTO"\n\nsite = "Potsdam"\n')
    with pytest.raises(ConfigError) as info:
        load_config({"AWE_HOME": str(tmp_path)})
    assert str(info.value) == (f"site ({path}:3): expected an integer from 0 to 32767, "
                               "found 'Potsdam'")


def test_unknown_key_invalid_toml_and_home_in_file_are_refused(tmp_path):
    path = tmp_path / "awe.toml"
    path.write_text('databse = "sqlite:///x"\n')
    with pytest.raises(ConfigError, match=r"databse \(.*awe.toml:1\): unknown key; expected one"):
        load_config({"AWE_HOME": str(tmp_path)})
    path.write_text("project = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config({"AWE_HOME": str(tmp_path)})
    path.write_text('home = "/tmp"\n')
    with pytest.raises(ConfigError, match="only be set by the AWE_HOME variable"):
        load_config({"AWE_HOME": str(tmp_path)})


def test_a_file_that_is_not_utf8_is_refused_naming_it(tmp_path):
    path = tmp_path / "awe.toml"
    path.write_bytes('project = "Gro\u00df"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=rf"configuration file {path}: expected UTF-8 text, "
                                          r"found byte 0xdf at offset 14"):
        load_config({"AWE_HOME": str(tmp_path)})


def test_every_setting_has_help_and_a_variable():
    for setting in SETTINGS:
        assert setting.help and setting.variable == "AWE_" + setting.key.upper()


def test_context_from_config_and_its_checked_copies():
    config = load_config({"AWE_HOME": "/nonexistent", "AWE_USER": "ole", "AWE_PROJECT": "GTO",
                          "AWE_PRIVILEGES": "2", "AWE_SITE": "7"})
    context = config.context()
    assert context == Context("ole", "GTO", 2, 7)
    assert context.with_project("MUSE-DEEP").project == "MUSE-DEEP"
    assert context.with_privileges(3).privileges == 3 and context.privileges == 2
    with pytest.raises(ConfigError, match="privileges: expected an integer 1-5, found 9"):
        context.with_privileges(9)
    with pytest.raises(ConfigError, match="project: expected a name"):
        context.with_project("")


def test_read_token(tmp_path):
    token = tmp_path / "token"
    token.write_text("  s3cret-token\n")
    assert read_token(token, what="store token") == "s3cret-token"
    token.write_text("two tokens\n")
    with pytest.raises(ConfigError, match="store token: token file .* must hold exactly one"):
        read_token(token, what="store token")
    with pytest.raises(ConfigError, match="DPU token: token file .*nothing does not exist"):
        read_token(Path(tmp_path / "nothing"), what="DPU token")


def test_the_workers_key_sets_every_default_worker_count(tmp_path, monkeypatch):
    from common.process.local import default_workers

    (tmp_path / "awe.toml").write_text("workers = 3\n")
    monkeypatch.setenv("AWE_HOME", str(tmp_path))
    assert load_config().workers == 3 and default_workers() == 3
    monkeypatch.setenv("AWE_WORKERS", "5")
    assert default_workers() == 5
