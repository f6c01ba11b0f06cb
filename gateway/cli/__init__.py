"""`mutaika` command line: one module per command group, thin over gateway.services.

The command modules import the store, the spool and the services inside their commands: loading
the CLI must not import gateway.metrics (see gateway.services) nor cost every `mutaika sanitize`
the database libraries."""

from gateway.cli.main import main
from gateway.cli.sanitize import colliding_outputs, report_name

__all__ = ["colliding_outputs", "main", "report_name"]
