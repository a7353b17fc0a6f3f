"""Course-building tools run by ``make`` targets; not part of the importable teaching package."""
