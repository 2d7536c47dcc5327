"""Quality: variables control charts and their run rules (``spc``, ``spc_rules``,
``spc_rule_config``), capability (``capability``), attribute charts (``attributes``), sensor
drift caught before a chart fires (``prequality``), the lots to hold (``holds``), the watch's
alert rows (``watch_alerts``) and customer feedback per revision (``feedback``, ``themes``)."""
