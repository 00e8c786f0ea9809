"""The SQLite store: one connection, short transactions, plain SQL with parameters.

    with Store.open(db_path(flag, os.environ)) as store:
        repo_id = store.repo_id(ref)
        store.save_commits(repo_id, commits)
        cached = store.get_entries(repo_id, shas, key)          # sha -> StoredAnalysis (LLM work only)
        run_id = store.start_run(repo_id, branch, window, fingerprint)
        ...  store.save_entry(repo_id, entry, key, usage)        # committed at once, from on_entry
        store.save_report(run_id, report)
        store.finish_run(run_id, "ok", counts=..., usage=..., reported=shas, head_sha=head)

``Store`` is one face over modules split by concern, each a class over the shared ``core.StoreCore``
(connection, lock, transactions, repositories): ``analyses.CommitStore`` (commits, analyses, claims),
``runs.RunStore`` (runs, report snapshots), ``deliveries.DeliveryStore`` (deliveries),
``caches.CacheStore`` (what runs learnt: the LLM's structured-output mode) and ``github.GitHubStore``
(pull requests by commit, ETags of GitHub answers). A new
table's methods go into the module of its concern (or a new one joined here), never into the core.
"""

from __future__ import annotations

from .analyses import CommitStore
from .caches import CacheStore
from .deliveries import DeliveryStore
from .github import GitHubStore
from .runs import RunStore


class Store(CommitStore, RunStore, DeliveryStore, CacheStore, GitHubStore):
    """The commitwatch database. Open with ``Store.open(path)``; close with ``close()`` or ``with``."""
