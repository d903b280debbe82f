"""Shipped EntityRuler pattern files (JSONL); a package so the files install with the code."""
