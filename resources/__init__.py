"""Plain resource files (icons, themes, lessons, examples), shipped as package data."""
