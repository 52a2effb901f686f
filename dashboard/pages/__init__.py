"""One script per dashboard page; each runs `render()` when Streamlit executes it."""
