"""The webhook worker as production runs it (`flask delivery webhooks worker`), for tests that kill it:
`python -m tests.delivery.worker_process CONFIG_JSON INSTANCE_PATH`."""

from __future__ import annotations

import json
import logging
import sys

from flask.cli import ScriptInfo

from app import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    app = create_app(json.loads(sys.argv[1]), instance_path=sys.argv[2])
    app.cli.main(args=["delivery", "webhooks", "worker"], prog_name="flask", standalone_mode=False,
                 obj=ScriptInfo(create_app=lambda: app))


if __name__ == "__main__":
    main()
