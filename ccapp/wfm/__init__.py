"""Workforce management math: Erlang C and A, shrinkage, forecasting and staffing. Pure, no Django."""
