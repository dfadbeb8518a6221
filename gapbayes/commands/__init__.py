"""One module per CLI subcommand, each with ``register(subparsers)``.

May import every lower layer (data, model, baseline, inference, reporting, sbc, studies,
comparison), never ``gapbayes.api``: the API is built on these modules, not the other way.
"""
