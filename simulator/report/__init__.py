"""Rendering results and scenarios: tables, plain sentences, JSON, CSV; safe file output."""
