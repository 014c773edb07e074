"""The live evidence source, exercised on real parts.

Real subprocesses (shell scripts in tmp_path), real files, real HTTPS servers on 127.0.0.1 with
trustme certificates. Nothing here asserts on timing: concurrency is proven by rendezvous,
timeouts by their messages and by what they leave behind.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import shlex
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import trustme
import yaml
from pytest_httpserver import HTTPServer

from ikscheck.errors import EvidenceError
from ikscheck.evidence import Command, HttpRequest, Settings, http_key, kind_of
from ikscheck.live import MAX_FILE_BYTES, LiveSource
from ikscheck.policy import Policy
from ikscheck.recording import Recorder
from ikscheck.redact import fingerprint

API_KEY = "CANARY-apikey-0123456789abcdefghij"
SIGNATURE = "CANARYSIGNATURE0123456789abcdef"


# -- helpers ---------------------------------------------------------------------------------


def q(path: Path | str) -> str:
    return shlex.quote(str(path))


def script(path: Path, body: str, mode: int = 0o755) -> Path:
    """A shell script at ``path`` (its folder created) running ``body``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(mode)
    return path


def environ(tmp_path: Path, *folders: Path, **extra: str) -> dict[str, str]:
    """An environment of tmp_path only: HOME and PATH there, plus ``extra``."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    path = os.pathsep.join(str(f) for f in folders) if folders else str(tmp_path / "bin")
    return {"HOME": str(home), "PATH": path, **extra}


def live(
    tmp_path: Path,
    env: dict[str, str] | None = None,
    settings: Settings | None = None,
    **policy: float,
) -> Recorder:
    """A live source, wrapped in a recorder so that tests see what it handed out."""
    chosen = {"command_timeout": 1.0, "http_timeout": 2.0, **policy}
    return Recorder(
        LiveSource(
            settings or Settings(),
            Policy(**chosen),  # type: ignore[arg-type]
            environ=environ(tmp_path) if env is None else env,
        )
    )


def records(source: Recorder) -> list[dict[str, object]]:
    """What the recorder kept, as a bundle lists it."""
    found = source.records()
    return [{"key": k, "kind": kind_of(k), "data": v} for k, v in found.items()]


def wait_for(predicate: Callable[[], bool], tries: int = 100, step: float = 0.05) -> bool:
    """Poll ``predicate`` a bounded number of times; whether it came true."""
    for _ in range(tries):
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def process_gone(pid: int) -> bool:
    """Whether ``pid`` no longer runs (gone, a zombie awaiting its reaper, or reused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    state = stat_line.rsplit(")", 1)[1].split()[0]
    return state in ("Z", "X") or b"sleep" not in cmdline


def kill_quietly(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def a_jwt(signature: str = SIGNATURE) -> str:
    header = b64({"alg": "RS256", "typ": "JWT"})
    claims = b64({"sub": "jane.doe@example.com", "exp": 1795166400, "iss": "https://x.invalid"})
    return f"{header}.{claims}.{signature}"


# -- run(): what a command gives ---------------------------------------------------------------


def test_run_captures_stdout_stderr_and_returncode(tmp_path: Path) -> None:
    script(tmp_path / "bin" / "tool", 'echo "out $1"\necho "err $2" >&2\nexit 7\n')
    source = live(tmp_path)
    command = Command("tool", ("one", "two"))
    result = source.run(command)
    assert (result.returncode, result.stdout, result.stderr) == (7, "out one\n", "err two\n")
    assert result.error == ""
    assert not result.ok
    assert result.command == "tool one two"
    assert result.problem() == "`tool one two` exited with status 7: err two"
    [record] = records(source)
    assert record["key"] == command.key
    assert record["kind"] == "command"
    assert record["data"]["returncode"] == 7
    assert record["data"]["stdout"] == "out one\n"


def test_run_of_a_program_by_explicit_path(tmp_path: Path) -> None:
    tool = script(tmp_path / "elsewhere" / "tool", "echo fine\n")
    result = live(tmp_path).run(Command(str(tool)))
    assert result.ok
    assert result.stdout == "fine\n"
    assert result.command == "tool"


def test_run_of_a_program_not_on_path(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    result = live(tmp_path).run(Command("nosuchtool", ("version",)))
    assert result.returncode is None
    assert result.error == "not found on PATH"
    assert not result.ok
    assert result.problem() == "`nosuchtool version`: not found on PATH"


def test_run_of_a_file_on_path_that_is_not_executable(tmp_path: Path) -> None:
    tool = script(tmp_path / "bin" / "tool", "echo never\n", mode=0o644)
    result = live(tmp_path).run(Command("tool"))
    assert result.returncode is None
    assert "not executable" in result.error
    assert str(tool) in result.error
    assert result.stdout == ""


def test_run_of_an_explicit_path_that_is_not_executable(tmp_path: Path) -> None:
    tool = script(tmp_path / "elsewhere" / "tool", "echo never\n", mode=0o644)
    result = live(tmp_path).run(Command(str(tool)))
    assert result.returncode is None
    assert "not executable" in result.error


def test_run_of_an_explicit_path_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "kubectl"
    result = live(tmp_path).run(Command(str(missing), ("version",)))
    assert result.returncode is None
    assert result.error == f"{missing} does not exist"


def test_a_hanging_command_times_out_and_its_children_are_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script(
        tmp_path / "bin" / "hang",
        # The child lets go of stdout: were only the script killed, run() would return at
        # once and leave the child running, which the check below would see.
        f"echo started\n/bin/sleep 300 >/dev/null 2>&1 &\necho $! > {q(pidfile)}\nwait\n",
    )
    result = live(tmp_path, command_timeout=1.0).run(Command("hang"))
    pid = int(pidfile.read_text())
    try:
        assert result.error == "timed out after 1s"
        assert result.returncode is None
        assert not result.ok
        assert result.stdout == "started\n"  # what it printed before is kept
        assert wait_for(lambda: process_gone(pid)), f"the background child {pid} still runs"
    finally:
        kill_quietly(pid)


def test_a_timeout_does_not_wait_for_a_descendant_that_escaped_the_session(
    tmp_path: Path,
) -> None:
    pidfile = tmp_path / "escaped.pid"
    # The descendant starts a session of its own, keeps stdout, and writes to it three seconds
    # after the timeout (after run()'s one-second grace to collect output, with room for a
    # loaded machine): if run() returns then, the line never reaches the result.
    script(
        tmp_path / "bin" / "daemonising",
        f"/usr/bin/setsid /bin/sh -c 'echo $$ > {q(pidfile)}; /bin/sleep 4; "
        "echo escaped-descendant-finished' &\nwait\n",
    )
    if not Path("/usr/bin/setsid").exists():
        pytest.skip("no /usr/bin/setsid")
    try:
        result = live(tmp_path, command_timeout=1.0).run(Command("daemonising"))
        assert result.error == "timed out after 1s"
        assert "escaped-descendant-finished" not in result.stdout
    finally:
        if pidfile.exists():
            kill_quietly(int(pidfile.read_text()))


def test_a_command_gets_no_stdin(tmp_path: Path) -> None:
    # pytest already puts /dev/null on fd 0; put a pipe with data there instead, so an
    # inherited stdin would show in the output (and an open one would hang /bin/cat).
    script(tmp_path / "bin" / "reader", "/bin/cat\n")
    source = live(tmp_path, command_timeout=5.0)
    read_end, write_end = os.pipe()
    os.write(write_end, b"INHERITED-STDIN\n")
    os.close(write_end)
    saved = os.dup(0)
    try:
        os.dup2(read_end, 0)
        result = source.run(Command("reader"))
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(read_end)
    assert result.error == ""
    assert result.ok
    assert result.stdout == ""


def test_a_command_gets_the_settings_ibmcloud_home_and_a_private_cache(tmp_path: Path) -> None:
    script(
        tmp_path / "bin" / "show",
        'echo "IBMCLOUD_HOME=$IBMCLOUD_HOME"\necho "KUBECACHEDIR=$KUBECACHEDIR"\n',
    )
    cli_home = tmp_path / "cli-home"
    source = live(tmp_path, settings=Settings(ibmcloud_home=str(cli_home)))
    result = source.run(Command("show"))
    assert result.ok
    values = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert values["IBMCLOUD_HOME"] == str(cli_home)
    cache = values["KUBECACHEDIR"]
    assert cache
    assert not cache.startswith(str(tmp_path / "home"))  # never the user's ~/.kube/cache
    assert not os.path.exists(os.path.dirname(cache))  # the scratch folder is gone


# -- each piece gathered once; independent pieces concurrently --------------------------------


def test_concurrent_runs_of_one_command_execute_it_once(tmp_path: Path) -> None:
    counter, started, release = tmp_path / "counter", tmp_path / "started", tmp_path / "release"
    script(
        tmp_path / "bin" / "slow",
        f"echo run >> {q(counter)}\n/bin/touch {q(started)}\n"
        f"i=0\nwhile [ ! -e {q(release)} ]; do\n"
        "  i=$((i+1)); [ $i -gt 50 ] && exit 3\n  /bin/sleep 0.1\ndone\necho done $$\n",
    )
    source = live(tmp_path, command_timeout=10.0)
    command = Command("slow", ("--flag",))
    barrier = threading.Barrier(3)

    def call() -> object:
        barrier.wait()
        return source.run(command)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.submit(call), pool.submit(call)
        barrier.wait()  # both callers are about to ask
        assert wait_for(started.exists), "the command never started"
        release.touch()
        results = first.result(), second.result()
    assert counter.read_text() == "run\n"
    assert results[0] is results[1]
    assert results[0].ok  # type: ignore[attr-defined]
    assert results[0].stdout.startswith("done ")  # type: ignore[attr-defined]
    assert [r["key"] for r in records(source)] == [command.key]
    # Asked again later: still the one execution.
    assert source.run(command) is results[0]
    assert counter.read_text() == "run\n"


def test_commands_differing_in_args_or_context_are_separate_pieces(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    script(tmp_path / "bin" / "tool", f'echo "$*" >> {q(counter)}\n')
    source = live(tmp_path)
    for command in (Command("tool", ("a",)), Command("tool", ("b",)), Command("tool", ("a",), "c")):
        assert source.run(command).ok
    assert counter.read_text().splitlines() == ["a", "b", "a --context c"]
    assert len(records(source)) == 3


def test_prefetch_runs_independent_commands_concurrently(tmp_path: Path) -> None:
    # A rendezvous: each command marks its arrival, then waits for the other's mark. Run one
    # after the other, the first would give up (and time out) before the second ever started.
    def rendezvous(mine: str, theirs: str) -> str:
        return (
            f"/bin/touch {q(tmp_path / mine)}\ni=0\n"
            f"while [ ! -e {q(tmp_path / theirs)} ]; do\n"
            "  i=$((i+1)); [ $i -gt 50 ] && exit 3\n  /bin/sleep 0.1\ndone\n"
            f"echo met {theirs}\n"
        )

    script(tmp_path / "bin" / "a", rendezvous("a.marker", "b.marker"))
    script(tmp_path / "bin" / "b", rendezvous("b.marker", "a.marker"))
    source = live(tmp_path, command_timeout=5.0)
    first, second = Command("a"), Command("b")
    source.prefetch([first, second], [])
    assert (tmp_path / "a.marker").exists() and (tmp_path / "b.marker").exists()
    a, b = source.run(first), source.run(second)  # from what prefetch gathered
    assert (a.error, a.returncode, a.stdout) == ("", 0, "met b.marker\n")
    assert (b.error, b.returncode, b.stdout) == ("", 0, "met a.marker\n")


# -- the user's kubeconfig ---------------------------------------------------------------------

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:9
    certificate-authority: ca.pem
- name: c2
  cluster:
    server: https://127.0.0.1:9
    certificate-authority: /etc/absolute/ca.pem
users:
- name: u1
  user:
    client-certificate: certs/client.pem
    tokenFile: tokens/t1
contexts:
- name: ctx
  context:
    cluster: c1
    user: u1
current-context: ctx
"""

SHOW_KUBECONFIG = (
    'echo "ARGS=$*"\necho "KUBECONFIG=$KUBECONFIG"\necho ---\n'
    'for f in $(echo "$KUBECONFIG" | /usr/bin/tr : " "); do /bin/cat "$f"; echo ---; done\n'
    # as kubectl's OIDC provider does when it refreshes a token: write into what it was given
    'for f in $(echo "$KUBECONFIG" | /usr/bin/tr : " "); do echo "# rewritten" >> "$f"; done\n'
)


def kubeconfig_run(stdout: str) -> tuple[str, str, list[dict[str, object]]]:
    """The args, the KUBECONFIG value and the parsed documents the script showed."""
    head, *docs = stdout.split("---\n")
    values = dict(line.split("=", 1) for line in head.splitlines())
    return values["ARGS"], values["KUBECONFIG"], [yaml.safe_load(d) for d in docs if d.strip()]


def test_a_command_without_context_never_sees_the_users_kubeconfig(tmp_path: Path) -> None:
    user = tmp_path / "kube" / "config"
    user.parent.mkdir()
    user.write_text(KUBECONFIG)
    before = user.read_bytes()
    script(tmp_path / "bin" / "kubectl", SHOW_KUBECONFIG)
    source = live(tmp_path, environ(tmp_path, KUBECONFIG=str(user)))
    result = source.run(Command("kubectl", ("version",)))
    assert result.error == ""
    args, kubeconfig, docs = kubeconfig_run(result.stdout)
    assert args == "version"  # no --context added
    assert kubeconfig != str(user)
    assert not kubeconfig.startswith(str(tmp_path))
    assert docs == []  # it names no file that exists
    assert user.read_bytes() == before
    assert not os.path.exists(os.path.dirname(kubeconfig))


def test_a_command_with_context_gets_private_copies_with_absolute_paths(tmp_path: Path) -> None:
    folder = tmp_path / "kube"
    folder.mkdir()
    user = folder / "config"
    user.write_text(KUBECONFIG)
    before = user.read_bytes()
    script(tmp_path / "bin" / "kubectl", SHOW_KUBECONFIG)
    source = live(tmp_path, environ(tmp_path, KUBECONFIG=str(user)))
    result = source.run(Command("kubectl", ("version", "-o", "json"), context="ctx"))
    assert result.error == ""
    args, kubeconfig, docs = kubeconfig_run(result.stdout)
    assert args == "version -o json --context ctx"
    assert kubeconfig != str(user)
    assert not kubeconfig.startswith(str(tmp_path))
    [doc] = docs
    assert isinstance(doc, dict)
    clusters = {c["name"]: c["cluster"] for c in doc["clusters"]}
    assert clusters["c1"]["certificate-authority"] == str(folder / "ca.pem")
    assert clusters["c2"]["certificate-authority"] == "/etc/absolute/ca.pem"
    assert clusters["c1"]["server"] == "https://127.0.0.1:9"
    [entry] = doc["users"]
    assert entry["user"]["client-certificate"] == str(folder / "certs" / "client.pem")
    assert entry["user"]["tokenFile"] == str(folder / "tokens" / "t1")
    assert doc["current-context"] == "ctx"
    # The command wrote into its copy; the user's file is untouched and the copy is gone.
    assert user.read_bytes() == before
    assert not os.path.exists(kubeconfig)
    assert not os.path.exists(os.path.dirname(kubeconfig))


def test_each_kubeconfig_file_is_resolved_against_its_own_folder(tmp_path: Path) -> None:
    first, second = tmp_path / "one" / "config", tmp_path / "two" / "config"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text(KUBECONFIG)
    unreadable_yaml = tmp_path / "broken"
    unreadable_yaml.write_text("clusters: [\n")
    listed = os.pathsep.join(
        [str(first), str(unreadable_yaml), str(tmp_path / "missing"), str(second)]
    )
    script(tmp_path / "bin" / "kubectl", SHOW_KUBECONFIG)
    source = live(tmp_path, environ(tmp_path, KUBECONFIG=listed))
    result = source.run(Command("kubectl", context="ctx"))
    _, kubeconfig, docs = kubeconfig_run(result.stdout)
    assert len(kubeconfig.split(os.pathsep)) == 2  # what kubectl could not load is left out
    cas = [d["clusters"][0]["cluster"]["certificate-authority"] for d in docs]  # type: ignore[index]
    assert cas == [str(first.parent / "ca.pem"), str(second.parent / "ca.pem")]
    assert first.read_text() == second.read_text() == KUBECONFIG


def test_the_kubeconfig_option_wins_over_the_environment(tmp_path: Path) -> None:
    chosen, other = tmp_path / "chosen" / "config", tmp_path / "other" / "config"
    for path in (chosen, other):
        path.parent.mkdir()
        path.write_text(KUBECONFIG)
    script(tmp_path / "bin" / "kubectl", SHOW_KUBECONFIG)
    source = live(
        tmp_path,
        environ(tmp_path, KUBECONFIG=str(other)),
        settings=Settings(kubeconfig=str(chosen)),
    )
    _, _, docs = kubeconfig_run(source.run(Command("kubectl", context="ctx")).stdout)
    [doc] = docs
    ca = doc["clusters"][0]["cluster"]["certificate-authority"]  # type: ignore[index]
    assert ca == str(chosen.parent / "ca.pem")


def test_a_relative_exec_command_is_made_absolute_in_the_copy(tmp_path: Path) -> None:
    folder = tmp_path / "kube"
    folder.mkdir()
    user = folder / "config"
    user.write_text(
        KUBECONFIG.replace(
            "    tokenFile: tokens/t1\n",
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
            "      command: bin/token-helper\n",
        )
    )
    script(tmp_path / "bin" / "kubectl", SHOW_KUBECONFIG)
    source = live(tmp_path, environ(tmp_path, KUBECONFIG=str(user)))
    _, _, docs = kubeconfig_run(source.run(Command("kubectl", context="ctx")).stdout)
    [doc] = docs
    command = doc["users"][0]["user"]["exec"]["command"]  # type: ignore[index]
    assert command == str(folder / "bin" / "token-helper")


# -- secrets never cross the boundary ---------------------------------------------------------


def test_command_output_is_redacted(tmp_path: Path) -> None:
    token = a_jwt()
    script(
        tmp_path / "bin" / "leaky",
        f'echo "got {token} from the server"\n'
        'echo "using api key $IBMCLOUD_API_KEY"\necho "$IBMCLOUD_API_KEY" >&2\n',
    )
    source = live(tmp_path, environ(tmp_path, IBMCLOUD_API_KEY=API_KEY))
    result = source.run(Command("leaky"))
    assert result.ok
    assert SIGNATURE not in result.stdout
    assert token not in result.stdout
    assert token.rsplit(".", 1)[0].split(".")[0] in result.stdout  # the header is kept
    assert ".redacted from the server" in result.stdout
    assert API_KEY not in result.stdout + result.stderr
    assert f"using api key {fingerprint(API_KEY)}" in result.stdout
    assert result.stderr == fingerprint(API_KEY) + "\n"
    recorded = json.dumps(records(source))
    assert API_KEY not in recorded
    assert SIGNATURE not in recorded


def test_env_returns_a_fingerprint_of_the_api_key(tmp_path: Path) -> None:
    env = environ(tmp_path, IBMCLOUD_API_KEY=API_KEY, HTTPS_PROXY="http://127.0.0.1:3128")
    source = live(tmp_path, env)
    value = source.env("IBMCLOUD_API_KEY")
    assert value == fingerprint(API_KEY)
    assert value is not None and value.startswith("<redacted:sha256:")
    assert source.env("HOME") == env["HOME"]
    assert source.env("HTTPS_PROXY") == "http://127.0.0.1:3128"
    assert source.env("KUBECONFIG") is None
    assert API_KEY not in json.dumps(records(source))


def test_env_refuses_names_it_does_not_know(tmp_path: Path) -> None:
    source = live(tmp_path)
    with pytest.raises(EvidenceError, match="PATH"):
        source.env("PATH")
    with pytest.raises(EvidenceError):  # the failure is remembered, not retried
        source.env("PATH")
    assert records(source) == []


def test_read_redacts_a_kubeconfig_id_token(tmp_path: Path) -> None:
    token = a_jwt()
    refresh = "CANARYREFRESH0123456789abcdef"
    path = tmp_path / "config"
    path.write_text(
        "users:\n- name: u\n  user:\n    auth-provider:\n      name: oidc\n      config:\n"
        f"        id-token: {token}\n        refresh-token: {refresh}\n"
        "        idp-issuer-url: https://127.0.0.1:9/identity\n"
    )
    result = live(tmp_path).read(str(path))
    assert result.exists
    assert result.text is not None
    assert SIGNATURE not in result.text
    assert refresh not in result.text
    assert token.split(".")[0] in result.text  # still a JWT, for the token checks
    assert "idp-issuer-url: https://127.0.0.1:9/identity" in result.text
    assert len(result.text.splitlines()) == len(path.read_text().splitlines())


# -- read() ------------------------------------------------------------------------------------


def test_read_of_a_missing_file(tmp_path: Path) -> None:
    result = live(tmp_path).read(str(tmp_path / "absent"))
    assert (result.exists, result.text, result.error) == (False, None, "")


def test_read_of_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o750)
    folder.chmod(0o750)
    result = live(tmp_path).read(str(folder))
    assert (result.exists, result.is_dir, result.text) == (True, True, None)
    assert result.mode == 0o750


def test_read_of_a_file_too_large(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a" * (MAX_FILE_BYTES + 1))
    result = live(tmp_path).read(str(big))
    assert result.exists
    assert result.text is None
    assert result.error == "16.0 MiB, larger than 16 MiB: not a file to read whole"


def test_read_reports_text_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"Region": "us-south"}\n')
    path.chmod(0o640)
    source = live(tmp_path)
    result = source.read(str(path))
    assert (result.exists, result.is_dir, result.error) == (True, False, "")
    assert result.text == '{"Region": "us-south"}\n'
    assert result.mode == 0o640
    [record] = records(source)
    assert record == {
        "key": f"file {path}",
        "kind": "file",
        "data": {
            "path": str(path),
            "exists": True,
            "is_dir": False,
            "text": '{"Region": "us-south"}\n',
            "mode": 0o640,
            "error": "",
            "realpath": os.path.realpath(path),
        },
    }


def test_read_of_an_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "secret"
    path.write_text("x")
    path.chmod(0)
    result = live(tmp_path).read(str(path))
    assert result.exists
    assert result.text is None
    assert result.error
    assert result.mode == 0


def test_read_of_a_fifo_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "kubeconfig"
    os.mkfifo(fifo)
    source = live(tmp_path)
    results: list[object] = []
    reader = threading.Thread(target=lambda: results.append(source.read(str(fifo))), daemon=True)
    reader.start()
    try:
        # Wait for the reader to finish, or to be stuck in open() waiting for a writer (then a
        # non-blocking open for writing succeeds): in that case, be the writer it waits for.
        for _ in range(200):
            if not reader.is_alive():
                break
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: nobody has it open for reading
                    raise
                time.sleep(0.02)
                continue
            os.write(fd, b"sent by a late writer\n")
            os.close(fd)
            break
        reader.join(10)
    finally:
        if reader.is_alive():
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not reader.is_alive()
    [result] = results
    assert "late writer" not in (result.text or "")  # type: ignore[attr-defined]


# -- which() -----------------------------------------------------------------------------------


def test_which_lists_executables_in_path_order(tmp_path: Path) -> None:
    first, second, third, fourth = (tmp_path / n for n in ("first", "second", "third", "fourth"))
    script(first / "kubectl", "", mode=0o644)  # not executable: skipped
    script(second / "kubectl", "")
    (third / "kubectl").mkdir(parents=True)  # a folder: skipped
    script(fourth / "kubectl", "")
    env = environ(tmp_path, first, second, third, fourth, second)
    source = live(tmp_path, env)
    assert source.which("kubectl") == (str(second / "kubectl"), str(fourth / "kubectl"))
    assert source.which("ibmcloud") == ()
    assert [r["key"] for r in records(source)] == ["which kubectl", "which ibmcloud"]


# -- get() -------------------------------------------------------------------------------------


def test_get_returns_status_body_and_headers(
    tmp_path: Path, https_server: HTTPServer, ca: trustme.CA
) -> None:
    # REQUESTS_CA_BUNDLE may be set on this machine: the CA given per request must still win.
    https_server.expect_request("/version").respond_with_json(
        {"gitVersion": "v1.30.4+IKS"}, headers={"X-Served-By": "loopback"}
    )
    url = https_server.url_for("/version")
    source = live(tmp_path)
    result = source.get(url, ca.cert_pem.bytes())
    assert (result.stage, result.error, result.status) == ("", "", 200)
    assert json.loads(result.body) == {"gitVersion": "v1.30.4+IKS"}
    assert result.headers["X-Served-By"] == "loopback"
    assert result.headers["Content-Type"] == "application/json"
    [record] = records(source)
    key = http_key(url, ca.cert_pem.bytes())
    assert (record["key"], record["kind"], record["data"]["status"]) == (key, "http", 200)
    # Asked again: the one exchange is reused.
    assert source.get(url, ca.cert_pem.bytes()) is result
    assert len(https_server.log) == 1
    # The same URL verified with another CA is another observation, not the cached one.
    assert source.get(url, trustme.CA().cert_pem.bytes()).stage == "tls"


def test_get_verifies_with_the_given_ca_whatever_requests_ca_bundle_says(
    tmp_path: Path, https_server: HTTPServer, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    https_server.expect_request("/version").respond_with_data("ok")
    url = https_server.url_for("/version")
    # A bundle that does not trust the server, as a corporate setup might set globally...
    foreign = tmp_path / "foreign.pem"
    trustme.CA().cert_pem.write_to_path(str(foreign))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(foreign))
    result = live(tmp_path).get(url, ca.cert_pem.bytes())
    assert (result.status, result.body, result.stage) == (200, "ok", "")
    # ... and one that does, when the cluster's CA is another: the given CA decides.
    ours = tmp_path / "ours.pem"
    ca.cert_pem.write_to_path(str(ours))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ours))
    other = live(tmp_path).get(url, trustme.CA().cert_pem.bytes())
    assert other.stage == "tls"


def test_get_with_another_ca_fails_at_tls(tmp_path: Path, https_server: HTTPServer) -> None:
    https_server.expect_request("/version").respond_with_data("never")
    stranger = trustme.CA()
    result = live(tmp_path).get(https_server.url_for("/version"), stranger.cert_pem.bytes())
    assert result.stage == "tls"
    assert result.status is None
    assert result.body == ""
    assert result.error.startswith("TLS verification failed: ")
    assert "certificate verify failed" in result.error
    assert https_server.log == []  # no request was ever sent


def test_get_of_a_closed_port_fails_at_connect(tmp_path: Path, ca: trustme.CA) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = live(tmp_path).get(f"https://127.0.0.1:{port}/version", ca.cert_pem.bytes())
    assert result.stage == "connect"
    assert result.status is None
    assert result.error.startswith("connection failed: ")
    assert "Connection refused" in result.error


def test_get_of_a_server_that_never_answers_times_out(tmp_path: Path, ca: trustme.CA) -> None:
    # The kernel completes the TCP handshake for a listening socket; nothing ever answers.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"https://127.0.0.1:{silent.getsockname()[1]}/version"
        result = live(tmp_path, http_timeout=1.0).get(url, ca.cert_pem.bytes())
    assert result.stage == "timeout"
    assert result.status is None
    assert result.error.startswith("timed out: ")


def test_get_redacts_credential_response_headers(
    tmp_path: Path, https_server: HTTPServer, ca: trustme.CA
) -> None:
    cookie = "session=CANARYCOOKIE0123456789abcdef; Path=/; Secure"
    bearer = "CANARYBEARER0123456789abcdef"
    https_server.expect_request("/login").respond_with_data(
        "welcome",
        headers={"Set-Cookie": cookie, "Authorization": f"Bearer {bearer}", "X-Plain": "kept"},
    )
    result = live(tmp_path).get(https_server.url_for("/login"), ca.cert_pem.bytes())
    assert result.status == 200
    assert result.body == "welcome"
    shown = json.dumps(result.headers)
    assert "CANARYCOOKIE" not in shown
    assert bearer not in shown
    assert result.headers["Set-Cookie"].startswith("<redacted:sha256:")
    assert result.headers["Authorization"] == f"Bearer {fingerprint(bearer)}"
    assert result.headers["X-Plain"] == "kept"


def test_prefetch_gathers_urls_once(
    tmp_path: Path, https_server: HTTPServer, ca: trustme.CA
) -> None:
    https_server.expect_request("/version").respond_with_data("v")
    url = https_server.url_for("/version")
    source = live(tmp_path)
    source.prefetch([], [HttpRequest("GET", url, ca_pem=ca.cert_pem.bytes())])
    assert len(https_server.log) == 1
    assert source.get(url, ca.cert_pem.bytes()).body == "v"
    assert len(https_server.log) == 1


class StallingServer:
    """A TLS server on 127.0.0.1 that sends headers and part of a body, then ``behaviour``:
    "stall" (keeps the connection open, silent) or "truncate" (closes it)."""

    def __init__(self, ca: trustme.CA, behaviour: str) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(self.context)
        self.behaviour = behaviour
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.listener.accept()
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
                if self.behaviour == "stall":
                    self.done.wait(10)

    def close(self) -> None:
        self.done.set()
        self.listener.close()
        self.thread.join(10)


@pytest.mark.parametrize(("behaviour", "stage"), [("stall", "timeout"), ("truncate", None)])
def test_get_of_a_body_that_breaks_off_is_an_http_result(
    tmp_path: Path, ca: trustme.CA, behaviour: str, stage: str | None
) -> None:
    server = StallingServer(ca, behaviour)
    try:
        url = f"https://127.0.0.1:{server.port}/version"
        source = live(tmp_path, http_timeout=1.0)
        result = source.get(url, ca.cert_pem.bytes())
    finally:
        server.close()
    assert result.error
    assert result.stage == (stage or result.stage)
    assert result.stage  # some stage is named
    assert [r["key"] for r in records(source)] == [http_key(url, ca.cert_pem.bytes())]


def test_read_keeps_bytes_that_are_not_utf8_for_the_readers_to_refuse(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_bytes("namespace: d\u00e9faut\n".encode("latin-1"))
    result = live(tmp_path).read(str(path))
    assert result.text is not None
    assert result.text.encode("utf-8", "surrogateescape") == path.read_bytes()


# -- the setup guide's flow: tokens IAM issues, held by the source only -------------------------


def test_the_flow_sends_each_token_it_was_given_and_keeps_none_in_what_it_hands_out(
    tmp_path: Path, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fakecloud
    from ikscheck import cloudapi

    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    with fakecloud.running(ca, api_key=API_KEY) as cloud:
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"IAMToken": "", "IAMRefreshToken": "cli-refresh-CANARY"}))
        cloud.accept_refresh("cli-refresh-CANARY")
        source = live(
            tmp_path, env={"IBMCLOUD_API_KEY": API_KEY}, settings=Settings(iam_url=cloud.url)
        )
        review = source.send(cloudapi.whoami_request(cloud.url, ca.cert_pem.bytes()))
        refreshed = source.send(cloudapi.refresh_grant(cloud.url, str(config)))
        sent = {h.form.get("grant_type"): h for h in cloud.requests if h.path == "/identity/token"}
        made = [*cloud._delegated, *cloud._id_tokens, *cloud._refresh]
    assert review.status == 201
    # Each step sent what the one before it gave, with IAM's client for it.
    assert sent[fakecloud.DELEGATED_GRANT].form["refresh_token"] in made
    assert sent[fakecloud.DELEGATED_GRANT].headers["Authorization"] == fakecloud.KUBE_CLIENT
    assert refreshed.status == 200
    handed = json.dumps(records(source))
    for secret in [*made, API_KEY, "cli-refresh-CANARY"]:
        assert secret not in handed
    # The CLI session's new tokens are not kept to authorise anything.
    kept = [t for found in source.source._tokens.values() for t in found.values()]
    assert not set(kept) & set(json.loads(refreshed.body).values())


def test_a_step_whose_token_never_came_is_not_sent_and_says_why(
    tmp_path: Path, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fakecloud
    from ikscheck import cloudapi

    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    with fakecloud.running(ca, api_key="another-key") as cloud:
        source = live(
            tmp_path, env={"IBMCLOUD_API_KEY": API_KEY}, settings=Settings(iam_url=cloud.url)
        )
        answer = source.send(cloudapi.kube_exchange(cloud.url))
        grants = [h.form["grant_type"] for h in cloud.requests if h.path == "/identity/token"]
    assert grants == [fakecloud.APIKEY_GRANT]  # refused: the delegation was never asked
    assert (answer.status, answer.error) == (
        None,
        "the API key exchange failed (HTTP 400): nothing to send",
    )
