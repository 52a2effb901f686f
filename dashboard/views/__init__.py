"""One script per dashboard page, run by st.navigation (not named pages/: that folder name turns on
Streamlit's older automatic multipage mode)."""
