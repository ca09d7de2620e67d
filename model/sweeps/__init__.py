"""Parameter sweeps: experiment files, designs, the run engine and the experiment figures.

experiment.py  experiment files (``experiments/*.toml``): validation and designs
measures.py    what a run reports: metrics at chosen years and whole-run measures
engine.py      runs the design on any ``concurrent.futures`` executor, with shards and resume
figures.py     heatmaps, violins, bands and sensitivity bars
"""
