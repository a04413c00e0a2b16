"""The department's web dashboard: sign-in, pages, server-side SVG charts."""
