"""`mutaika` command line: one module per command group, thin over gateway.services."""

from gateway.cli.main import main
from gateway.cli.sanitize import colliding_outputs, report_name

__all__ = ["colliding_outputs", "main", "report_name"]
