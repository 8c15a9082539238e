"""The web view of a served team: pages listing agents and threads, and a thread page drawing its run live.

Plain HTML, CSS and JavaScript shipped as package data (``static/``): no build step, no CDN, nothing
fetched from outside the server. The pages hold no data, so they are served without a key; their
scripts call the API with the key the user types (kept in the tab's sessionStorage).
"""
