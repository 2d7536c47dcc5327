"""Machines: the hourly sensor series (``sensor_hours``), machine health against the sensors'
limits (``health``), sensor faults told apart from machine faults (``sensor_faults``), OEE per
ISO 22400 (``oee``) and the speed and failure history the line simulation reads
(``reliability``)."""
