"""Scenario batches: many runs of (scenario, parameters, seed), stored and analysed together.

The machinery around the model, in the vocabulary of the EMA Workbench: a batch crosses
scenarios (levers) with a design over registry uncertainties and with replications (seeds),
runs them on one of several executors and stores one result set per run plus a summary.

Modules, each with one job:

- :mod:`model.batch.spec`: read and validate a batch file (``scenarios/batches/*.toml``).
- :mod:`model.batch.design`: replication seeds and designs (factorial, Latin hypercube, Sobol,
  Morris); the list of runs.
- :mod:`model.batch.worker`: run one run in a worker and reduce it to a summary row.
- :mod:`model.batch.executors`: serial, local processes and Dask behind one interface.
- :mod:`model.batch.store`: the batch folder: manifest, run folders, summary, failures, resume.
- :mod:`model.batch.runner`: :func:`~model.batch.runner.run_batch`, tying these together.
- :mod:`model.batch.sensitivity`: Sobol and Morris indices from a finished batch (SALib).
- :mod:`model.batch.ema`: an adapter exposing foedsim as an EMA Workbench model (optional).

Nothing is imported here: ``import model.batch.worker`` in a fresh worker process must stay
light until a run starts (thread pools are pinned before numpy is imported).
"""
