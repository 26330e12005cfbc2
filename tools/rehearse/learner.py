"""One simulated learner: a browser's session on the hub, their own server, and the lessons run in it."""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

from tools.rehearse import COURSE_DIR, RehearsalError
from tools.rehearse.hub import learner_model
from tools.rehearse.kernel import Kernel
from tools.rehearse.outputs import stored, text_of
from tools.rehearse.processes import wait_for

#: Run in each learner's kernel after a lesson: the kernel's peak memory, in KB.
PEAK_CODE = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
#: Run in each learner's kernel after a lesson: can it fetch from the internet (it must not)?
ONLINE_CODE = """import urllib.request
try:
    urllib.request.urlopen("https://pypi.org/simple/", timeout=10)
    print("online")
except Exception:
    print("offline")"""


@dataclasses.dataclass
class LessonRun:
    """One lesson as one learner ran it."""

    stem: str
    seconds: float = 0.0
    first_output: float | None = None
    kernel_peak_mb: float | None = None
    cells: int = 0
    mismatches: list[str] = dataclasses.field(default_factory=list)
    stopped: bool = False  # a cell failed, so the rest of the lesson did not run
    online: bool | None = None  # whether the kernel could fetch a web page after the lesson
    outputs: list[list[dict]] = dataclasses.field(default_factory=list, repr=False)  # per code cell, as stored

    def as_json(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "outputs"}


@dataclasses.dataclass
class LearnerResult:
    """What one simulated learner did and measured."""

    name: str
    spawn: float | None = None
    pull: float | None = None
    lessons: list[LessonRun] = dataclasses.field(default_factory=list)
    peak_mb: float | None = None  # the learner's server and kernels together, at their highest
    failure: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None and all(not run.mismatches for run in self.lessons)

    def as_json(self) -> dict:
        return {**{k: getattr(self, k) for k in ("name", "spawn", "pull", "peak_mb", "failure")},
                "lessons": [run.as_json() for run in self.lessons]}  # fmt: skip


def lesson_path(stem: str) -> str:
    """A lesson's notebook in a learner's copy of the course, relative to their home."""
    return f"{COURSE_DIR}/notebooks/{stem}.ipynb"


class Learner:
    """A simulated learner: a browser's cookies on the hub, then a token for their own server."""

    def __init__(self, hub: str, name: str, password: str, timeout: float) -> None:
        import requests

        self.hub, self.name, self.password, self.timeout = hub, name, password, timeout
        self.http = requests.Session()
        self.token: str | None = None

    @property
    def server(self) -> str:
        return f"{self.hub}/user/{self.name}"

    def _xsrf(self) -> dict:
        return {"X-XSRFToken": self.hub_xsrf()}

    def hub_xsrf(self) -> str:
        """The hub's own _xsrf cookie (the learner's server sets another one, for its own path, once visited)."""
        cookies = [c for c in self.http.cookies if c.name == "_xsrf"]
        cookies.sort(key=lambda c: not (c.path or "/").startswith("/hub"))  # the hub's first
        return cookies[0].value if cookies else ""

    def log_in(self, password: str | None = None) -> int:
        """Post the login form as a browser does; the status code of the answer (302 when let in)."""
        self.http.get(f"{self.hub}/hub/login", timeout=30)
        form = {"username": self.name, "password": password or self.password, "_xsrf": self.hub_xsrf()}
        return self.http.post(f"{self.hub}/hub/login", data=form, allow_redirects=False, timeout=60).status_code

    def start_server(self) -> None:
        """Ask the hub for this learner's server and wait until it is ready."""
        started = self.http.post(f"{self.hub}/hub/api/users/{self.name}/server", headers=self._xsrf(), timeout=60)
        if started.status_code not in (201, 202, 400):  # 400: already running
            raise RehearsalError(
                f"{self.name}: the hub refused to start a server ({started.status_code} {started.text[:200]})"
            )

        def ready() -> bool:
            user = self.http.get(f"{self.hub}/hub/api/users/{self.name}", headers=self._xsrf(), timeout=30).json()
            return bool(user.get("servers", {}).get("", {}).get("ready"))

        wait_for(f"{self.name}'s server to be ready", ready, self.timeout)
        made = self.http.post(
            f"{self.hub}/hub/api/users/{self.name}/tokens",
            json={"note": "rehearsal", "expires_in": 7200},
            headers=self._xsrf(),
            timeout=30,
        )
        if made.status_code != 201:
            raise RehearsalError(f"{self.name}: no API token ({made.status_code} {made.text[:200]})")
        self.token = made.json()["token"]

    def headers(self) -> dict:
        return {"Authorization": f"token {self.token}"}

    def stop_server(self) -> None:
        """Stop this learner's server (File → Hub Control Panel → Stop My Server) and wait until it has stopped."""
        self.http.delete(f"{self.hub}/hub/api/users/{self.name}/server", headers=self._xsrf(), timeout=60)

        def stopped() -> bool:
            user = self.http.get(f"{self.hub}/hub/api/users/{self.name}", headers=self._xsrf(), timeout=30).json()
            return "" not in user.get("servers", {})

        wait_for(f"{self.name}'s server to stop", stopped, 60)

    def pull(self, repo: str, branch: str, stem: str) -> None:
        """Click the course's nbgitpuller link for a lesson, as the website's launch button makes it."""
        import requests

        link = f"{self.hub}/hub/user-redirect/git-pull?" + urllib.parse.urlencode(
            {"repo": repo, "branch": branch, "urlpath": f"lab/tree/{lesson_path(stem)}"}
        )
        # The hub sends the browser on to the learner's own server, which logs them in through the hub (OAuth).
        page = self.http.get(link, timeout=60)
        landed = urllib.parse.urlparse(page.url).path
        if page.status_code != 200 or landed != f"/user/{self.name}/git-pull":
            raise RehearsalError(f"{self.name}: the nbgitpuller link ended at {landed} with {page.status_code}")
        # The page's script then streams the pull from nbgitpuller's API: the same request, with the learner's token.
        query = urllib.parse.urlencode({"repo": repo, "branch": branch})
        phase, last = None, ""
        with requests.get(
            f"{self.server}/git-pull/api?{query}", headers=self.headers(), stream=True, timeout=120
        ) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    event = json.loads(line[5:])
                    phase = event.get("phase", phase)
                    last = event.get("output", event.get("message", last))
                    if phase in ("finished", "error"):
                        break
        if phase != "finished":
            raise RehearsalError(f"{self.name}: nbgitpuller did not finish ({phase}): {str(last).strip()[-300:]}")

    def contents(self, path: str) -> dict:
        import requests

        got = requests.get(f"{self.server}/api/contents/{path}", headers=self.headers(), timeout=60)
        got.raise_for_status()
        return got.json()["content"]

    def save(self, path: str, notebook: dict) -> None:
        import requests

        body = {"type": "notebook", "format": "json", "content": notebook}
        requests.put(
            f"{self.server}/api/contents/{path}", json=body, headers=self.headers(), timeout=60
        ).raise_for_status()

    def run_lesson(self, stem: str, expected: dict[int, tuple[str, str]], cell_timeout: float) -> LessonRun:
        """Open a lesson from the learner's copy and run its code cells in order, as Run All does."""
        path = lesson_path(stem)
        notebook = self.contents(path)
        code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
        run = LessonRun(stem)
        start = time.monotonic()
        kernel = Kernel(self.server, self.token, path, cell_timeout)
        try:
            for i, cell in enumerate(code):
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                done = kernel.execute(source)
                run.cells += 1
                run.outputs.append([stored(output, i + 1) for output in done.outputs])
                if run.first_output is None and done.first_output is not None:
                    run.first_output = time.monotonic() - start - done.seconds + done.first_output
                if done.status != "ok":
                    _, error = text_of(done.outputs)
                    run.mismatches.append(f"{stem} code cell {i}: {done.status}: {error.strip()[-300:]}")
                    run.stopped = True
                    break
                if i in expected and text_of(done.outputs) != expected[i]:
                    run.mismatches.append(f"{stem} code cell {i}: its output differs from the stored one")
            run.seconds = time.monotonic() - start
            # JupyterLab saves the notebook with what the learner's run printed: the .ipynb is theirs from now on.
            for i, (cell, outputs) in enumerate(zip(code, run.outputs)):
                cell["outputs"], cell["execution_count"] = outputs, i + 1
            self.save(path, notebook)
            shown, _ = text_of(kernel.execute(PEAK_CODE).outputs)
            run.kernel_peak_mb = int(shown.strip()) / 1024 if shown.strip().isdigit() else None
            shown, _ = text_of(kernel.execute(ONLINE_CODE).outputs)
            run.online = shown.strip() != "offline"
        finally:
            kernel.close()
        return run


def one_learner(
    learner: Learner,
    repo: str,
    branch: str,
    lessons: Sequence[str],
    expected: dict[str, dict[int, tuple[str, str]]],
    cell_timeout: float,
    barrier: threading.Barrier | None,
    stand_ins: Mapping[str, Path] | None,
    home: Path,
    cancelled: threading.Event,
) -> LearnerResult:
    """Everything one learner does, from the login page to the last cell of the last lesson.

    stand_ins: the models (by lesson stem) put in the learner's copy after the pull, for the lessons to load.
    """
    result = LearnerResult(learner.name)
    try:
        if barrier is not None:
            barrier.wait(timeout=120)  # everyone starts at once, as at the beginning of a class
        start = time.monotonic()
        status = learner.log_in()
        if status != 302:
            raise RehearsalError(f"login with the right password answered {status}, not a redirect")
        learner.start_server()
        result.spawn = time.monotonic() - start
        start = time.monotonic()
        learner.pull(repo, branch, lessons[0])
        result.pull = time.monotonic() - start
        for stem, model in (stand_ins or {}).items():
            target = learner_model(home, stem)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(model, target)
        for stem in lessons:
            if cancelled.is_set():
                raise RehearsalError("stopped: the rehearsal was interrupted")
            result.lessons.append(learner.run_lesson(stem, expected[stem], cell_timeout))
            if result.lessons[-1].stopped:
                break  # later lessons need what this one makes
    except Exception as exc:  # noqa: BLE001 - one learner's failure is reported, the others go on
        result.failure = f"{type(exc).__name__}: {exc}"
    return result
