package dev.portcullis.edge;
