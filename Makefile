# One entry point for set-up and everything else. `make lab` and `make test` are the two
# commands a newcomer needs; both create the environment first (and reuse it when current).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
D2L    := d2l==1.0.3
# JupyterLab refuses to run as root without --allow-root (this machine and CI run as root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PORT   ?= 8888
LAB_ARGS ?=
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout 600
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: setup lab test test-gpu notebooks lint format html slides student diagrams bench clean \
  zh lab-zh slides-zh html-zh i18n-update

setup: $(STAMP)

# The environment: a virtual environment inside the checkout, rebuilt when pyproject.toml changes.
# d2l 1.0.3 pins numpy==1.23.5 and more, which cannot install on Python 3.12+: install it
# without its pins; pyproject.toml declares what it really imports.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m pip install --quiet --no-deps "$(D2L)"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb --ServerApp.root_dir="$(CURDIR)" --port=$(PORT) $(ROOT_FLAG) $(LAB_ARGS)

# Stored outputs are made, and checked, on the CPU (CUDA hidden, and LSTM_GRU_DEVICE=cpu makes
# try_gpu() skip Apple's mps too), so any machine reproduces them.
# OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep instead of spinning. It changes no result,
# but on a loaded 2-core machine spinning threads slowed training cells by 10x or more.
# THREADS: torch's CPU threads. The course's models are small, so one thread is the fastest: on
# the 2-core reference machine, with PASSIVE, 2 threads took 2-2.5x as long (without PASSIVE,
# about as long as one). No compared output depends on it (README: "Reproducible on every
# machine"): `make test THREADS=4` must pass too.
THREADS ?= 1
CPU_ONLY := CUDA_VISIBLE_DEVICES= LSTM_GRU_DEVICE=cpu OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$(THREADS)

# The whole suite: unit tests, lint, every notebook under nbval (README: "Reproducible on every
# machine"), browser tests; the 15 slowest tests are listed at the end. WORKERS processes (one
# per core by default) share the test files and chapters; --dist loadscope keeps each file, and
# so each notebook's cells, in one process and in order.
# First tools.provision gets what the suite needs besides Python packages (a Chromium, a font
# with Chinese glyphs) or stops with one line saying what is missing. BROWSER=0 leaves out the
# browser and its tests, for a quick run; under CI=true it is refused.
WORKERS ?= auto
BROWSER ?= 1
NO_BROWSER := $(filter 0,$(BROWSER))
test: $(STAMP)
	$(BIN)/python -m tools.provision $(if $(NO_BROWSER),--no-browser)
	$(CPU_ONLY) $(BIN)/python -m pytest -n $(WORKERS) --dist loadscope $(NBVAL) --durations=15 \
	  $(if $(NO_BROWSER),-m "not browser") tests $(NOTEBOOKS)

# On a GPU machine: the `gpu` tests (run without TF32, see tests/conftest.py), then every notebook
# under lax nbval: numbers differ from the CPU's stored outputs, but every claim check still runs
# (an exception fails the cell). LSTM_GRU_DEVICE=cuda: no GPU is an error, never a CPU fallback.
GPU_ONLY := LSTM_GRU_DEVICE=cuda
test-gpu: $(STAMP)
	$(GPU_ONLY) $(BIN)/python -c "import lstm_gru; print('test-gpu on', lstm_gru.try_gpu())"
	$(GPU_ONLY) $(BIN)/python -m pytest -m gpu --durations=15 tests
	$(GPU_ONLY) $(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout 600 \
	  --durations=15 $(NOTEBOOKS)

# Regenerate the stored outputs: every notebook executed top to bottom, in place, on the CPU.
notebooks: $(STAMP)
	for nb in $(NOTEBOOKS); do \
	  $(CPU_ONLY) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 "$$nb" || exit 1; \
	done

# For instructors: reveal.js slides (cells' slideshow metadata) and a static HTML handout of every
# chapter, from the stored outputs, with no network: reveal.js and MathJax are copied from
# installed packages next to the pages. Open build/slides/index.html or build/html/index.html.
slides: $(STAMP)
	$(BIN)/python -m tools.publish slides build/slides $(NOTEBOOKS)

html: $(STAMP)
	$(BIN)/python -m tools.publish html build/html $(NOTEBOOKS)

# The Chinese edition (README: "中文版"): build/zh/notebooks/, from the English notebooks and the
# catalogues in locale/zh/. `make zh` translates and then executes every chapter in Chinese
# (figures and widgets too, like `make notebooks`); ZH_RUN=0 only translates.
ZH_DIR := build/zh/notebooks
ZH_RUN ?= 1
zh: $(STAMP)
	$(BIN)/python -m tools.i18n build $(ZH_DIR) $(NOTEBOOKS)
	if [ "$(ZH_RUN)" = 1 ]; then for nb in $(ZH_DIR)/*.ipynb; do \
	  LSTM_GRU_LANG=zh $(CPU_ONLY) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 "$$nb" || exit 1; \
	done; fi

lab-zh: $(STAMP)
	$(MAKE) zh ZH_RUN=0
	LSTM_GRU_LANG=zh $(BIN)/jupyter lab $(ZH_DIR)/00_start_here.ipynb --ServerApp.root_dir="$(CURDIR)" --port=$(PORT) $(ROOT_FLAG) $(LAB_ARGS)

# From the executed Chinese notebooks (`make zh` first, when build/zh/notebooks is missing).
slides-zh html-zh: %-zh: $(STAMP) | $(ZH_DIR)
	$(BIN)/python -m tools.publish $* build/zh/$* $(ZH_DIR)/*.ipynb

$(ZH_DIR):
	$(MAKE) zh

# After editing English text: refresh the catalogues (changed cells become fuzzy), then translate.
i18n-update: $(STAMP)
	$(BIN)/python -m tools.i18n update
	$(BIN)/python -m tools.i18n check || true

# For students: the course with every exercise's model answer removed, in build/student/.
student: $(STAMP)
	$(BIN)/python tools/student.py build/student $(NOTEBOOKS)

# The diagrams in img/ (plain, byte-stable SVG); tests/test_diagrams.py checks they are current.
diagrams: $(STAMP)
	$(BIN)/python -m tools.diagrams

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf build .pytest_cache
