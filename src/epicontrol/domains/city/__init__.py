"""The city: areas, buildings, households, persons, venues and facilities."""
