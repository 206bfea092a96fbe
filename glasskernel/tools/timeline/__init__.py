"""A recording as a timeline: Chrome trace-event JSON (Perfetto) or one offline HTML page."""
