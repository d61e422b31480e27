"""foedsim: an agent-based simulation of Germany's federal administrative workload.

The package is data plus small modules with one job each. Nothing runs at import time.
"""

__version__ = "0.1.0"
