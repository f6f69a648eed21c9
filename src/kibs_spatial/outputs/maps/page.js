/* kibs_spatial map pages: geometry decoding, the period switch, tooltips, labels, overview inset.
   Inlined into every page after Leaflet; no network access, no other library. */
var KIBS = (function () {
    "use strict";
    var state = {periods: [], current: 0, columns: {}, template: "", phrases: {}, listeners: []};

    var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", INDEX = {};
    for (var a = 0; a < ALPHABET.length; a++) { INDEX[ALPHABET.charAt(a)] = a; }

    /* Encoded polyline (1e-4 degrees, longitude first, URL-safe base-64 digits) to [[lon, lat], ...]. */
    function decodeRing(text) {
        var points = [], index = 0, lon = 0, lat = 0, values = [];
        while (index < text.length) {
            var result = 0, shift = 0, chunk;
            do {
                chunk = INDEX[text.charAt(index++)];
                result |= (chunk & 0x1f) << shift;
                shift += 5;
            } while (chunk >= 0x20);
            values.push((result & 1) ? ~(result >> 1) : (result >> 1));
            if (values.length === 2) {
                lon += values[0];
                lat += values[1];
                points.push([lon / 1e4, lat / 1e4]);
                values = [];
            }
        }
        return points;
    }

    /* Replace every {"type": "MultiPolygon", "encoded": [...]} geometry by GeoJSON coordinates. */
    function decode(collection) {
        collection.features.forEach(function (f) {
            var g = f.geometry;
            if (g && g.encoded) {
                f.geometry = {type: "MultiPolygon", coordinates: g.encoded.map(function (polygon) {
                    return polygon.map(decodeRing);
                })};
            }
        });
        return collection;
    }

    function esc(text) {
        return String(text).replace(/[&<>"']/g, function (c) {
            return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
        });
    }

    function setup(options) {
        state.periods = options.periods || [];
        state.current = options.current || 0;
        state.template = options.template || "";
        state.phrases = options.phrases || {};
        state.columns = {};
        (options.columns || []).forEach(function (name, i) { state.columns[name] = i; });
    }

    /* A feature's value: a column of the chosen period, else a plain property. */
    function value(f, key) {
        var p = f.properties;
        if (key === "period") { return state.periods[state.current]; }
        if (p.v && Object.prototype.hasOwnProperty.call(state.columns, key)) {
            return p.v[state.current][state.columns[key]];
        }
        return p[key];
    }

    /* Tooltip HTML from the page's template: {name} is a value, {name@table} its phrase in a table. */
    function tip(f) {
        if (!state.template) { return f.properties.tip || ""; }
        return state.template.replace(/\{(\w+)(?:@(\w+))?\}/g, function (_, key, table) {
            var v = value(f, key);
            if (table) { return (state.phrases[table] || {})[String(v)] || ""; }
            return v === null || v === undefined ? "–" : esc(v);
        });
    }

    function onPeriod(listener) { state.listeners.push(listener); }

    function setPeriod(i) {
        state.current = Number(i);
        state.listeners.forEach(function (listener) { listener(state.current); });
    }

    /* Labels that appear by zoom level: each item {text, pt: [lon, lat], lz: min zoom, xz: max zoom}. */
    function labels(map, items, className, pane) {
        var byZoom = {};
        items.forEach(function (item) {
            var marker = L.marker([item.pt[1], item.pt[0]], {
                icon: L.divIcon({className: "kibs-label " + (item.cls || className), iconSize: null,
                                 html: "<span>" + esc(item.text) + "</span>"}),
                interactive: false, keyboard: false, pane: pane});
            var key = item.lz + ":" + (item.xz || 99);
            (byZoom[key] = byZoom[key] || L.layerGroup()).addLayer(marker);
        });
        function sync() {
            var zoom = map.getZoom();
            Object.keys(byZoom).forEach(function (key) {
                var range = key.split(":"), on = zoom >= Number(range[0]) && zoom <= Number(range[1]);
                if (on && !map.hasLayer(byZoom[key])) { byZoom[key].addTo(map); }
                if (!on && map.hasLayer(byZoom[key])) { map.removeLayer(byZoom[key]); }
            });
        }
        map.on("zoomend", sync);
        sync();
        return {clear: function () {
            map.off("zoomend", sync);
            Object.keys(byZoom).forEach(function (key) { map.removeLayer(byZoom[key]); });
        }};
    }

    /* The unit labels of a region collection: bold for promising locations of the chosen period. */
    function regionLabels(map, data, pane) {
        function items() {
            return data.features.filter(function (f) { return f.properties.pt && f.properties.lz; })
                .map(function (f) {
                    var strong = Number(value(f, "prom")) === 1;
                    return {text: f.properties.name, pt: f.properties.pt, lz: f.properties.lz,
                            cls: strong ? "kibs-label-strong" : "kibs-label-unit"};
                });
        }
        var handle = labels(map, items(), "kibs-label-unit", pane);
        onPeriod(function () { handle.clear(); handle = labels(map, items(), "kibs-label-unit", pane); });
    }

    /* A small overview map of the whole layer with a box around the main map's view. */
    function inset(map, outline, bounds) {
        var control = L.control({position: "bottomleft"});
        control.onAdd = function () {
            var box = L.DomUtil.create("div", "kibs-inset");
            box.title = "Overview: click to move the map there";
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            return box;
        };
        control.addTo(map);
        var small = L.map(control.getContainer(), {
            zoomControl: false, attributionControl: false, dragging: false, scrollWheelZoom: false,
            doubleClickZoom: false, boxZoom: false, keyboard: false, touchZoom: false, zoomSnap: 0.1});
        small.fitBounds(bounds, {padding: [2, 2]});
        L.geoJson(outline, {style: {color: "#777", weight: 0.7, fillColor: "#ddd", fillOpacity: 1},
                            interactive: false}).addTo(small);
        var frame = L.rectangle(bounds, {color: "#d7191c", weight: 2, fill: false, interactive: false}).addTo(small);
        function follow() {
            small.invalidateSize();
            small.fitBounds(bounds, {padding: [2, 2], animate: false});
            frame.setBounds(map.getBounds());
        }
        small.on("click", function (e) { map.panTo(e.latlng); });
        map.on("moveend zoomend resize", follow);
        window.addEventListener("load", follow);
        return small;
    }

    return {decode: decode, esc: esc, setup: setup, value: value, tip: tip, onPeriod: onPeriod,
            setPeriod: setPeriod, labels: labels, regionLabels: regionLabels, inset: inset, state: state};
})();
var kibsDecode = KIBS.decode;
