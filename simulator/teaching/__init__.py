"""Teaching from one run: the story of a persona (trace) and the tabletop exercise."""
