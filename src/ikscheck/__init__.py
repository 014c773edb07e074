"""ikscheck: conformance and diagnostics for an IBM Cloud Kubernetes Service workstation."""

__version__ = "0.1.0"
