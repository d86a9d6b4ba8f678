"""The engine stage: a pack compiled once into arrays, evaluated with numpy over regions x years x rules."""
