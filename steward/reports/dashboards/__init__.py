"""Dashboards (儀表板): the centre's, each agency's and the committee's, with their charts."""
