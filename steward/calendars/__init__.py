"""The official government office calendar (辦公日曆表) and working-day maths."""
