"""A class rehearsed on loopback: a JupyterHub and simulated learners running lessons at once (make rehearse).

What an instructor's first lesson on a hub does, done by N simulated learners at the same time:
each logs in, starts a server, pulls the course with an nbgitpuller link (from a bare clone of
this checkout), opens the lessons and executes their code cells in a kernel of its own over
Jupyter's kernel protocol, with no internet and MNIST from one shared cache. It checks every
learner's outputs that do not depend on trained weights (the cells strict nbval compares verbatim)
against the stored ones, and that no cell fails; it measures each learner's spawn time, time to
first output, lesson times (against the same lessons run by one learner alone) and memory; it
checks that the hub lets in nobody who does not belong, and that a content update keeps a
learner's edit. Every process it started is stopped by PID, with bounded waits, also on failure.

The hub here is for rehearsal only: a shared password, servers that run as the user who started
it, and nothing listening anywhere but 127.0.0.1 (docs/jupyterhub.md says how a class's real hub
is set up). One module per job: ``hub`` (its configuration and start), ``ports``, ``processes``
(every process started, and their reaping), ``kernel`` (a kernel driven over the server's websocket),
``outputs`` (what is compared), ``learner`` (one learner's browser session and steps), ``memory``,
``checks`` (who gets in, what listens, what reaches the internet), ``course`` (what the learners pull:
the checkout as a repository, an instructor's update, the shared MNIST, stand-in models), ``report``
(the tables), ``rehearsal`` (the whole run), ``isolation`` (the network namespace), ``__main__``.
"""

from __future__ import annotations

#: The only address anything of the rehearsal listens on.
LOOPBACK = "127.0.0.1"
#: Where each learner's copy of the course lands in their home (nbgitpuller's targetpath).
COURSE_DIR = "mnist-lesson"


class RehearsalError(RuntimeError):
    """A step of the rehearsal failed; the message says which and what to do."""
