"""gapbayes: the open-closed AI capability gap in months, as a calibrated posterior."""

__version__ = "0.1.0"
