"""The benchmark's read access to a generated catalog: an SQLite file (python3's sqlite3) or a
PostgreSQL URL (through psql, as python3 has no PostgreSQL driver here). Parameters are integers or
strings, inlined as SQL literals for psql."""
import re, sqlite3, subprocess, time


def literal(v):
    return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"


class Catalog:
    def __init__(self, target):
        self.postgres = target.startswith(("postgres://", "postgresql://"))
        self.target = target
        if not self.postgres:
            self.sqlite = sqlite3.connect(f"file:{target}?mode=ro", uri=True)

    def inline(self, sql, params):
        parts = sql.split("?")
        return "".join(p + (literal(params[i]) if i < len(params) else "") for i, p in enumerate(parts))

    def rows(self, sql, params=()):
        if not self.postgres:
            return self.sqlite.execute(sql, params).fetchall()
        out = subprocess.run(["psql", self.target, "-AtX", "-F", "\x1f", "-c", self.inline(sql, params)],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\x1f")) for line in out.splitlines()]

    def timed(self, statements, setup=""):
        """Milliseconds per statement, each run once, in one session (psql's \\timing: the client's
        round trip), after the untimed setup statements (PostgreSQL only)."""
        if not self.postgres:
            times = []
            for sql, params in statements:
                start = time.perf_counter(); self.sqlite.execute(sql, params).fetchall(); times.append((time.perf_counter() - start) * 1000)
            return times
        script = setup + "\n\\timing on\n\\o /dev/null\n" + "".join(self.inline(sql, params) + ";\n" for sql, params in statements)
        out = subprocess.run(["psql", self.target, "-X", "-q", "-v", "ON_ERROR_STOP=1"], input=script,
                             check=True, capture_output=True, text=True).stdout
        return [float(m) for m in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]
