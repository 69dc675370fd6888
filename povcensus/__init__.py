"""povcensus — Vietnam's annual poverty household review toolkit.

This package holds only the command-line entry point; the work lives in
`survey_forms`, `scoring`, `offline_sync`, `server` and `maps`.
"""

__version__ = "0.1.0"
