package dev.portcullis.events;
