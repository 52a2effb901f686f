"""The pipeline: follow the changelog and feeds, fetch and analyse releases, store them."""
