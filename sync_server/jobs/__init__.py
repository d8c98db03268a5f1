"""A light Redis job queue (``queue:{name}``) and its worker."""
