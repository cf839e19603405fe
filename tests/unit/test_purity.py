"""engine.core stays pure: no database, web, scheduler, workflow or network modules."""

import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("sqlalchemy", "fastapi", "apscheduler", "prefect", "httpx", "smtplib", "requests", "uvicorn", "starlette")


def test_importing_engine_core_pulls_in_no_io_frameworks() -> None:
    code = (
        "import sys\n"
        "import engine.core.decide, engine.core.loader, engine.core.validation, engine.core.simulation\n"
        "import engine.core.schema\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_linter_contract_holds() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(lint_imports), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stdout + out.stderr
