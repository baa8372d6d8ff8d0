"""`CsvTable.write` holds an exclusive file lock on `<file>.lock` (portalocker: flock on POSIX), so two host
processes writing one file take turns and neither loses the other's rows."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

from ecmahost.connectors.csv.models import CsvConnection
from ecmahost.connectors.csv.table import CsvTable

ROWS_PER_PROCESS = 60

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ecmahost.connectors.csv.models import CsvConnection
    from ecmahost.connectors.csv.table import CsvTable, Snapshot

    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    table = CsvTable(path, CsvConnection(fsync=False), ["id"])

    def append(number):
        def change(snapshot):
            rows = [*snapshot.rows, {"id": f"{name}-{number}"}]
            time.sleep(0.002)  # widens the read-modify-write window: without the lock, rows would be lost
            return Snapshot(snapshot.header, rows)
        return change

    print("ready", flush=True)
    sys.stdin.readline()  # both start writing together
    for number in range(count):
        table.write(append(number))
    """
)


def test_two_processes_writing_one_file_take_turns_and_lose_no_row(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    with contextlib.ExitStack() as stack:
        writers = [
            stack.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", WRITER, str(path), name, str(ROWS_PER_PROCESS)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for name in ("a", "b")
        ]
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.close()
        assert [writer.wait(timeout=120) for writer in writers] == [0, 0]

    rows = CsvTable(path, CsvConnection(), ["id"]).read().rows
    expected = {f"{name}-{number}" for name in ("a", "b") for number in range(ROWS_PER_PROCESS)}
    assert sorted(row["id"] for row in rows) == sorted(expected)
