"""Triggers (run in the triggerer): the deferrable unify loop."""
