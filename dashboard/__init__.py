"""The Streamlit dashboard: layout in pages, every query in one module."""
