"""The editor's pages: incidents, statements, sources, points of contention, claims,
annotations, publishing and history. Every view is editor-only (role_required) and
saves through save_versioned(), so two editors never silently overwrite each other.

Without htmx every POST redirects (or re-renders its page with the errors); with htmx
the view answers with the named partial of the same template. Form errors and
conflicts are answered 200 to htmx (htmx does not swap 4xx answers by default) and
400/409 to plain posts.

A module per resource; urls.py names them."""
