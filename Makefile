# novbe: the two commands are `make demo` and `make test` (`make test-fast` while working).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export QT_QPA_PLATFORM ?= offscreen

.PHONY: install demo test test-fast lint bench soak system-deps clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v '^WARNING: Location' || true
	touch $(STAMP)

install: $(STAMP)

# Debian packages some parts need (socat for linked ptys, espeak-ng for the default voice
# pack, chromium and its driver for the browser tests of the citizens' pages, libpulse0 for
# QtMultimedia, libusb for USB printers, the xcb libraries Qt's X11 windows
# need). Installed only when missing and only when we are root.
system-deps:
	@missing=""; \
	command -v socat >/dev/null || missing="$$missing socat"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	dpkg -s libpulse0 >/dev/null 2>&1 || missing="$$missing libpulse0"; \
	dpkg -s libusb-1.0-0 >/dev/null 2>&1 || missing="$$missing libusb-1.0-0"; \
	dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing="$$missing fonts-dejavu-core"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	for lib in libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0; do \
	  dpkg -s $$lib >/dev/null 2>&1 || missing="$$missing $$lib"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null 2>&1 || echo "warning: could not install$$missing"; \
	  else echo "please install the Debian packages:$$missing"; fi; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy novbe server wire shell hardware kiosk counter display supervisor rating boards report central bench
	$(VENV)/bin/lint-imports

test: install system-deps lint
	$(PY) -m pytest -q -n 2 --dist loadgroup

# Day-to-day: every test but those marked slow (whole simulated days, the demo, a clone's
# install), no lint; about 1.5 min instead of 4. `make test` stays the whole suite.
test-fast: install system-deps
	$(PY) -m pytest -q -n 2 --dist loadgroup -m "not slow"

bench: install system-deps
	$(PY) -m bench

# A hall at its peak for HOURS (default 2): memory, latency and events per minute plotted to
# var/soak/soak.png (docs/benchmarks.md, "Soak"). Not part of `make test`, which runs a short one.
HOURS ?= 2
soak: install
	$(PY) -m bench.soak --hours $(HOURS)

demo: install system-deps
	$(VENV)/bin/novbe demo

clean:
	rm -rf $(VENV) var demo-out .pytest_cache .mypy_cache .ruff_cache
