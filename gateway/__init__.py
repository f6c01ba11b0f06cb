"""mutaika: a content-disarm (無害化) mail gateway between the internet and LGWAN segments."""

__version__ = "0.1.0"
