"""The closure line of a plan change: packages changed, added, removed."""

from __future__ import annotations

from mcpstate.plan.closurediff import diff_line, packages


def test_the_line_names_each_moved_package() -> None:
    before = {"a": ("1.0.0",), "b": ("2.0.0",), "gone": ("0.1.0",)}
    after = {"a": ("1.0.1",), "b": ("2.0.0",), "new": ("3.0.0",)}
    assert diff_line(before, after) == "closure: 1 changed (a 1.0.0 -> 1.0.1), 1 added (new 3.0.0), 1 removed (gone 0.1.0)"
    assert diff_line(after, after) == "closure: 0 changed, 0 added, 0 removed"
    assert diff_line(None, after) == "closure: 3 package(s) locked, none recorded before"


def test_long_lists_are_cut_and_counted() -> None:
    after = {f"p{i}": ("2",) for i in range(8)}
    line = diff_line({f"p{i}": ("1",) for i in range(8)}, after)
    assert line.startswith("closure: 8 changed (p0 1 -> 2, ") and line.endswith(", ...), 0 added, 0 removed")


def test_packages_reads_both_lock_formats() -> None:
    pnpm_lock = b"lockfileVersion: '9.0'\npackages:\n  '@x/a@1.0.0':\n    resolution: {integrity: sha512-AA==}\n"
    assert packages("npm", pnpm_lock) == {"@x/a": ("1.0.0",)}
    requirements = b"X_A==1.0.0 \\\n    --hash=sha256:" + b"a" * 64 + b"\n"
    assert packages("pypi", requirements) == {"x_a": ("1.0.0",)}


def test_a_package_locked_at_two_versions_counts_twice_and_moves_alone() -> None:
    """Real closures do this (server-everything: content-type 1.0.5 and 2.1.0); keyed by
    name alone, one version hid the other and its move went unseen."""
    lock = (b"lockfileVersion: '9.0'\npackages:\n"
            b"  content-type@1.0.5:\n    resolution: {integrity: sha512-AA==}\n"
            b"  content-type@2.1.0:\n    resolution: {integrity: sha512-BB==}\n")
    before = packages("npm", lock)
    assert before == {"content-type": ("1.0.5", "2.1.0")}
    assert diff_line(None, before) == "closure: 2 package(s) locked, none recorded before"
    after = packages("npm", lock.replace(b"content-type@1.0.5", b"content-type@1.0.6"))
    assert diff_line(before, after) == "closure: 1 changed (content-type 1.0.5+2.1.0 -> 1.0.6+2.1.0), 0 added, 0 removed"
