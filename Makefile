# The two commands of README.md: `make run` and `make test`.
.PHONY: run test lint bench-sanitize bench-relay clean

run:
	scripts/setup.sh
	.venv/bin/mutaika serve $(if $(CONFIG),--config $(CONFIG))

test:
	scripts/setup.sh dev
	.venv/bin/ruff check gateway tests bench
	.venv/bin/mypy
	.venv/bin/python -m pytest

bench-sanitize:
	scripts/setup.sh dev
	.venv/bin/python bench/sanitize_bench.py

bench-relay:
	scripts/setup.sh dev
	bench/relay_setup.sh
	.venv/bin/python bench/relay_bench.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
