"""The public website (Jinja-rendered), JSON API, feeds and exports."""
