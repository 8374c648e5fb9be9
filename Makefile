# Set-up on a fresh machine: `make demo` and `make test` (both create .venv and install everything).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export XLWINGS_LICENSE_KEY ?= noncommercial

.PHONY: install js demo test templates bench serve clean mutate icone

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[addin,test]'
	touch $@

install: $(BIN)/.installed

# npm packages of the add-in's JS tests (tests/js: office-addin-mock), from the committed lock file
tests/js/node_modules/.package-lock.json: tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund

js: tests/js/node_modules/.package-lock.json

demo: install
	$(BIN)/rendiconta demo --cartella demo_output
	@echo "La dimostrazione è in $(CURDIR)/demo_output (sei cartelle, report, verbali PDF/A, consolidato)."

test: install js
	$(BIN)/python -m pytest -q

templates: install
	$(BIN)/rendiconta modelli --anno 2026 --out-dir workbook_templates

bench: install
	$(BIN)/python bench/verifica.py
	$(BIN)/python bench/addin_dimensioni.py
	$(BIN)/python bench/consolida.py
	$(BIN)/python bench/addin_server.py
	$(BIN)/python bench/verbale.py

# Mutation testing (docs/sviluppo.md): mutmut mutates the rules and the seals one module at a time and
# runs only the fast unit tests of [tool.mutmut] in pyproject.toml; results in mutants/, not part of `make test`
# (mutant name patterns, one mutmut run each: the seals, the register's hash chain, then the rules)
MUTATE := addin.workbook.seals.* addin.registro.catena.* addin.registro.registro.x_verifica_catene* addin.registro.registro.x__verifica_catena* \
          addin.registro.registro.x__canonico* $(foreach m,money eligibility reductions \
          cofinancing tranches windows payments multiyear variations sampling budget lookup summary \
          models,addin.rules.$(m).*)
# (addin/rules/catalogue.py is data only: mutmut finds no mutant there and stops with an error if asked)
$(BIN)/.installed-mutate: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[addin,test,mutate]'
	touch $@

mutate: $(BIN)/.installed-mutate
	@for m in $(MUTATE); do \
	  echo "mutmut: $$m"; nice -n 19 $(BIN)/mutmut run "$$m" >mutants.log 2>&1 || { tail -40 mutants.log; exit 1; }; \
	done; rm -f mutants.log
	$(BIN)/mutmut export-cicd-stats && cat mutants/mutmut-cicd-stats.json && echo
	$(BIN)/mutmut results

# The Excel add-in on https://127.0.0.1:8000 (certificates made by mkcert on first run, in addin/server/certs;
# its CA stays in addin/server/certs/ca: the system trust store is not touched, see docs/addin.md)
serve: install
	$(BIN)/rendiconta serve

# The add-in's icons (addin/server/icone.py, Pillow); the PNGs are committed
icone: install
	$(BIN)/python -m pip install --quiet -e '.[icone]'
	$(BIN)/python addin/server/icone.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info mutants mutants.log tests/js/node_modules
